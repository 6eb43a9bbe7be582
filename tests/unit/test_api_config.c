// SPDX-License-Identifier: MIT
/*
 * The management API's VM schema (vmm/host.c hvm_config_parse): accepted
 * descriptions land in the config; each kind of bad input is refused with a
 * message naming the field, and a refused sub-resource changes nothing.
 */
#include <string.h>

#include "vmm/host.h"

#include "tests/unit/check.h"

static char err[512];

/* Parse text as `what` into c; 0 or -1. */
static int parse(struct hvm_config *c, const char *what, const char *text, char *id)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	int rc;

	err[0] = '\0';
	if (!j)
		return -2;
	rc = hvm_config_parse(c, what, j, id, err, sizeof(err));
	json_decref(j);
	return rc;
}

/* text is refused as `what` and the message holds words. */
static void refused(const char *what, const char *text, const char *words)
{
	struct hvm_config c = { 0 };
	char id[HVM_ID_MAX] = "";

	cur = text;
	CHECK_EQ("refused", parse(&c, what, text, id), -1);
	CHECK_EQ("message names the problem", strstr(err, words) != NULL, 1);
	if (!strstr(err, words))
		printf("     message was: %s\n", err);
	hvm_config_free(&c);
}

int main(void)
{
	struct hvm_config c = { 0 };
	char id[HVM_ID_MAX] = "";

	cur = "full description";
	CHECK_EQ(
	    "parse",
	    parse(&c, NULL,
	          "{\"vm_id\": \"a-1_b\", \"machine-config\": {\"vcpu_count\": 4, "
	          "\"mem_size_mib\": 256, \"mem_limit_mib\": 100, \"weight\": 7, "
	          "\"cap_percent\": 150}, \"boot-source\": {\"kernel_image_path\": \"/k\", "
	          "\"initrd_path\": \"/i\", \"boot_args\": \"console=ttyS0\"}, \"drives\": "
	          "[{\"drive_id\": \"d0\", \"path_on_host\": \"/d0\", \"is_read_only\": true}, "
	          "{\"drive_id\": \"d1\", \"path_on_host\": \"/d1\"}], \"network-interfaces\": "
	          "[{\"iface_id\": \"n0\", \"mode\": \"switch\", \"switch\": \"lan\", "
	          "\"guest_mac\": \"52:54:00:00:00:01\"}], \"rng\": true}",
	          id),
	    0);
	CHECK_EQ("vm_id", strcmp(id, "a-1_b"), 0);
	CHECK_EQ("vcpu_count", c.vcpu_count, 4);
	CHECK_EQ("mem_size_mib", c.mem_size_mib, 256);
	CHECK_EQ("mem_limit_mib", c.mem_limit_mib, 100);
	CHECK_EQ("weight", c.weight, 7);
	CHECK_EQ("cap_percent", c.cap_percent, 150);
	CHECK_EQ("kernel", strcmp(c.kernel, "/k"), 0);
	CHECK_EQ("initrd", strcmp(c.initrd, "/i"), 0);
	CHECK_EQ("boot_args", strcmp(c.boot_args, "console=ttyS0"), 0);
	CHECK_EQ("ndrives", c.ndrives, 2);
	CHECK_EQ("d0 ro", c.drives[0].read_only, 1);
	CHECK_EQ("d1 rw", c.drives[1].read_only, 0);
	CHECK_EQ("nnets", c.nnets, 1);
	CHECK_EQ("net kind", c.nets[0].cfg.kind, NET_SWITCH);
	CHECK_EQ("net switch", strcmp(c.nets[0].name, "lan"), 0);
	CHECK_EQ("mac set", c.nets[0].cfg.mac_set, 1);
	CHECK_EQ("mac last byte", c.nets[0].cfg.mac[5], 1);
	CHECK_EQ("rng", c.rng, 1);

	cur = "PUT drives replaces by id";
	CHECK_EQ("parse",
	         parse(&c, "drives", "{\"drive_id\": \"d0\", \"path_on_host\": \"/new\"}", id), 0);
	CHECK_EQ("still 2 drives", c.ndrives, 2);
	CHECK_EQ("d0 path", strcmp(c.drives[0].path, "/new"), 0);
	CHECK_EQ("d0 now rw", c.drives[0].read_only, 0);

	cur = "initrd_path null clears it";
	CHECK_EQ(
	    "parse",
	    parse(&c, "boot-source", "{\"kernel_image_path\": \"/k2\", \"initrd_path\": null}", id),
	    0);
	CHECK_EQ("initrd cleared", c.initrd == NULL, 1);
	hvm_config_free(&c);

	refused(NULL, "{\"machine_config\": {}}", "unknown field 'machine_config'");
	refused(NULL, "{\"vm_id\": 5}", "vm_id");
	refused(NULL, "{\"vm_id\": \"a/b\"}", "vm_id");
	refused(NULL, "{\"vm_id\": \"\"}", "vm_id");
	refused(NULL, "{\"rng\": 1}", "'rng' must be true or false");
	refused(NULL, "{\"drives\": {}}", "must be a list");
	refused(NULL, "{\"drives\": [5]}", "expected a JSON object");
	refused("machine-config", "{\"vcpu_count\": 65}", "out of range (1-64)");
	refused("machine-config", "{\"vcpu_count\": -1}", "out of range");
	refused("machine-config", "{\"vcpu_count\": 1.5}", "must be an integer");
	refused("machine-config", "{\"vcpu_count\": true}", "must be an integer");
	refused("machine-config", "{\"mem_size_mib\": 2}", "out of range (4-65536)");
	refused("machine-config", "{\"mem_size_mib\": 99}", "multiple of 2");
	refused("machine-config", "{\"mem_size_mib\": 99999999999999999}", "out of range");
	refused("machine-config", "{\"weight\": 0}", "'weight' = 0 is out of range");
	refused("machine-config", "{\"ht_enabled\": false}", "unknown field 'ht_enabled'");
	refused("boot-source", "{}", "'kernel_image_path' is required");
	refused("boot-source", "{\"kernel_image_path\": \"\"}", "non-empty");
	refused("boot-source", "{\"kernel_image_path\": \"/k\", \"boot_args\": [1]}", "boot_args");
	refused("drives", "{\"drive_id\": \"d\"}", "'path_on_host' is required");
	refused("drives",
	        "{\"drive_id\": \"d\", \"path_on_host\": \"/x\", \"is_read_only\": \"yes\"}",
	        "'is_read_only' must be true or false");
	refused("network-interfaces", "{\"iface_id\": \"n\"}", "'mode' is required");
	refused("network-interfaces", "{\"iface_id\": \"n\", \"mode\": \"tap\"}",
	        "needs 'host_dev_name'");
	refused("network-interfaces",
	        "{\"iface_id\": \"n\", \"mode\": \"user\", \"guest_mac\": \"52:54:00:00:00\"}",
	        "guest_mac");
	refused(
	    "network-interfaces",
	    "{\"iface_id\": \"n\", \"mode\": \"user\", \"guest_mac\": \"52:54:00:00:00:01:02\"}",
	    "guest_mac");

	cur = "hostfwd";
	{
		struct hvm_config d = { 0 };
		char did[HVM_ID_MAX] = "";

		CHECK_EQ("parse",
		         parse(&d, "network-interfaces",
		               "{\"iface_id\": \"u\", \"mode\": \"user\", \"hostfwd\": "
		               "[{\"host_port\": 2222, \"guest_port\": 22}, {\"protocol\": "
		               "\"udp\", \"host_addr\": \"127.0.0.1\", \"host_port\": 5353, "
		               "\"guest_port\": 53}]}",
		               did),
		         0);
		CHECK_EQ("two forwards", d.nets[0].cfg.nhostfwd, 2);
		CHECK_EQ("tcp", d.nets[0].cfg.hostfwd[0].udp, 0);
		CHECK_EQ("host port", d.nets[0].cfg.hostfwd[0].host_port, 2222);
		CHECK_EQ("guest port", d.nets[0].cfg.hostfwd[0].guest_port, 22);
		CHECK_EQ("any address", d.nets[0].cfg.hostfwd[0].host_addr, 0);
		CHECK_EQ("udp", d.nets[0].cfg.hostfwd[1].udp, 1);
		CHECK_EQ("127.0.0.1", d.nets[0].cfg.hostfwd[1].host_addr, 0x7f000001u);
		hvm_config_free(&d);
	}
	refused("network-interfaces",
	        "{\"iface_id\": \"n\", \"mode\": \"switch\", \"switch\": \"l\", "
	        "\"hostfwd\": []}",
	        "'hostfwd' needs mode \"user\"");
	refused("network-interfaces",
	        "{\"iface_id\": \"n\", \"mode\": \"user\", \"hostfwd\": [{\"host_port\": 0, "
	        "\"guest_port\": 22}]}",
	        "'host_port' = 0 is out of range");
	refused("network-interfaces",
	        "{\"iface_id\": \"n\", \"mode\": \"user\", \"hostfwd\": [{\"host_port\": 1}]}",
	        "'host_port' and 'guest_port' are required");
	refused("network-interfaces",
	        "{\"iface_id\": \"n\", \"mode\": \"user\", \"hostfwd\": [{\"protocol\": "
	        "\"sctp\", \"host_port\": 1, \"guest_port\": 2}]}",
	        "'protocol' must be");
	refused("network-interfaces",
	        "{\"iface_id\": \"n\", \"mode\": \"user\", \"hostfwd\": [{\"host_addr\": "
	        "\"::1\", \"host_port\": 1, \"guest_port\": 2}]}",
	        "'host_addr' must be an IPv4 address");
	refused("network-interfaces", "{\"iface_id\": \"n\", \"mode\": \"user\", \"hostfwd\": {}}",
	        "expected an array");

	cur = "too many devices";
	{
		struct hvm_config d = { 0 };
		char text[128];
		unsigned i;
		int rc = 0;

		for (i = 0; i < VM_MAX_VIRTIO + 1 && !rc; i++) {
			snprintf(text, sizeof(text),
			         "{\"drive_id\": \"d%u\", \"path_on_host\": \"/x\"}", i);
			rc = parse(&d, "drives", text, id);
		}
		CHECK_EQ("the ninth device is refused", i, VM_MAX_VIRTIO + 1);
		CHECK_EQ("rc", rc, -1);
		CHECK_EQ("message", strstr(err, "too many virtio devices") != NULL, 1);
		hvm_config_free(&d);
	}
	return check_summary();
}
