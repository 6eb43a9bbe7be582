/*
 * SBI base extension, legacy console putchar, DBCN (SBI 2.0) when provided,
 * and error returns for unknown extensions/functions.
 */
#include <string.h>
#include "rt.h"

TEST_NAME("sbi");

static void check_probe(const char *name, unsigned long eid, int must_exist)
{
	struct sbiret r = sbi_probe_extension(eid);

	printf("probe %-6s (0x%08lx): error %ld value %ld\n", name, eid, r.error, r.value);
	CHECK_EQ("probe_extension error", SBI_SUCCESS, r.error);
	if (must_exist)
		CHECK(name, r.value != 0);
	else
		CHECK_EQ(name, 0, r.value);
}

static void test_base(void)
{
	struct sbiret r;
	unsigned long major, minor;

	r = sbi_ecall(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0, 0, 0, 0, 0);
	CHECK_EQ("get_spec_version error", SBI_SUCCESS, r.error);
	major = ((unsigned long)r.value >> 24) & 0x7f;
	minor = (unsigned long)r.value & 0xffffff;
	printf("SBI spec version %lu.%lu (0x%lx)\n", major, minor, (unsigned long)r.value);
	CHECK_EQ("spec version bit 31 (reserved, must be 0)", 0, ((unsigned long)r.value >> 31));
	CHECK("spec version >= 0.2", major > 0 || minor >= 2);

	r = sbi_ecall(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID, 0, 0, 0, 0, 0, 0);
	CHECK_EQ("get_impl_id error", SBI_SUCCESS, r.error);
	printf("SBI implementation id %ld\n", r.value);
	r = sbi_ecall(SBI_EXT_BASE, SBI_BASE_GET_IMPL_VERSION, 0, 0, 0, 0, 0, 0);
	CHECK_EQ("get_impl_version error", SBI_SUCCESS, r.error);
	printf("SBI implementation version 0x%lx\n", (unsigned long)r.value);
	r = sbi_ecall(SBI_EXT_BASE, SBI_BASE_GET_MVENDORID, 0, 0, 0, 0, 0, 0);
	CHECK_EQ("get_mvendorid error", SBI_SUCCESS, r.error);
	printf("mvendorid 0x%lx\n", (unsigned long)r.value);
	r = sbi_ecall(SBI_EXT_BASE, SBI_BASE_GET_MARCHID, 0, 0, 0, 0, 0, 0);
	CHECK_EQ("get_marchid error", SBI_SUCCESS, r.error);
	printf("marchid 0x%lx\n", (unsigned long)r.value);
	r = sbi_ecall(SBI_EXT_BASE, SBI_BASE_GET_MIMPID, 0, 0, 0, 0, 0, 0);
	CHECK_EQ("get_mimpid error", SBI_SUCCESS, r.error);
	printf("mimpid 0x%lx\n", (unsigned long)r.value);

	check_probe("BASE", SBI_EXT_BASE, 1);
	check_probe("TIME", SBI_EXT_TIME, 1);
	check_probe("IPI", SBI_EXT_IPI, 1);
	check_probe("HSM", SBI_EXT_HSM, 1);
	check_probe("SRST", SBI_EXT_SRST, 1);
	check_probe("bogus1", 0x12345678, 0);
	check_probe("bogus2", 0x7ffffff0, 0);

	/* unknown function in a known extension */
	r = sbi_ecall(SBI_EXT_BASE, 0x1234, 0, 0, 0, 0, 0, 0);
	CHECK_EQ("BASE unknown FID error", SBI_ERR_NOT_SUPPORTED, r.error);
	/* unknown extension */
	r = sbi_ecall(0x12345678, 0, 0, 0, 0, 0, 0, 0);
	CHECK_EQ("unknown EID 0x12345678 error", SBI_ERR_NOT_SUPPORTED, r.error);
	r = sbi_ecall(0x7ffffff0, 3, 1, 2, 3, 4, 5, 6);
	CHECK_EQ("unknown EID 0x7ffffff0 error", SBI_ERR_NOT_SUPPORTED, r.error);
}

static void test_legacy_putchar(void)
{
	static const char msg[] = "legacy putchar: hello from the guest\n";
	const char *p;
	long ret;

	fflush(stdout);
	for (p = msg; *p; p++) {
		ret = sbi_console_putchar(*p);
		if (ret != 0) {
			CHECK_EQ("legacy console_putchar return value", 0, ret);
			break;
		}
	}
}

static char dbcn_buf[64] __attribute__((aligned(64)));

static void test_dbcn(void)
{
	static const char msg[] = "DBCN console_write: hello from the guest\n";
	struct sbiret r;
	size_t len = sizeof(msg) - 1, done = 0;
	int tries = 0;

	r = sbi_probe_extension(SBI_EXT_DBCN);
	CHECK_EQ("probe DBCN error", SBI_SUCCESS, r.error);
	if (r.value == 0) {
		printf("NOTE: DBCN not provided by this SBI (probe_extension(0x4442434e) = 0)\n");
		CHECK("DBCN missing is only acceptable under OpenSBI (SBI < 2.0)", under_opensbi());
		return;
	}
	printf("DBCN present (probe value %ld)\n", r.value);
	fflush(stdout);
	memcpy(dbcn_buf, msg, len);
	while (done < len && tries++ < 100) {
		r = sbi_ecall(SBI_EXT_DBCN, SBI_DBCN_WRITE, len - done,
		              (unsigned long)dbcn_buf + done, 0, 0, 0, 0);
		CHECK_EQ("DBCN console_write error", SBI_SUCCESS, r.error);
		if (r.error)
			break;
		CHECK("DBCN console_write count <= requested",
		      (unsigned long)r.value <= len - done);
		done += (size_t)r.value;
	}
	CHECK_EQ("DBCN console_write total bytes", len, done);

	r = sbi_ecall(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, 'D', 0, 0, 0, 0, 0);
	CHECK_EQ("DBCN console_write_byte error", SBI_SUCCESS, r.error);
	r = sbi_ecall(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, '\n', 0, 0, 0, 0, 0);
	CHECK_EQ("DBCN console_write_byte error", SBI_SUCCESS, r.error);

	/* zero-length write is valid and writes nothing */
	r = sbi_ecall(SBI_EXT_DBCN, SBI_DBCN_WRITE, 0, (unsigned long)dbcn_buf, 0, 0, 0, 0);
	CHECK_EQ("DBCN zero-length write error", SBI_SUCCESS, r.error);
	CHECK_EQ("DBCN zero-length write count", 0, r.value);
	/* unknown DBCN function */
	r = sbi_ecall(SBI_EXT_DBCN, 0x77, 0, 0, 0, 0, 0, 0);
	CHECK_EQ("DBCN unknown FID error", SBI_ERR_NOT_SUPPORTED, r.error);
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	test_base();
	test_legacy_putchar();
	test_dbcn();
}
