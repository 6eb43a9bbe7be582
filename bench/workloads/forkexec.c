// SPDX-License-Identifier: MIT
/*
 * fork + exec + wait of a tiny static program, many times: process
 * creation, copy-on-write of the parent, a fresh address space and ELF
 * load for the child, exit and reaping. The child's exit status (i % 7)
 * goes into the checksum. usage: forkexec [SCALE [PATH_OF_exitcode]]
 */
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv)
{
	unsigned scale = scale_arg(argc, argv);
	const char *prog = argc > 2 ? argv[2] : "/bench/exitcode";
	uint64_t sum = 0, t0 = now_ns();

	for (unsigned i = 0; i < 600 * scale; i++) {
		char code[16];
		int status;
		pid_t pid;

		snprintf(code, sizeof(code), "%u", i % 7);
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			execl(prog, prog, code, (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
			return 1;
		sum = sum * 31 + (uint64_t)WEXITSTATUS(status);
	}
	report("forkexec", now_ns() - t0, sum);
	return 0;
}
