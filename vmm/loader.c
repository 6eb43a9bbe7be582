// SPDX-License-Identifier: MIT
/* ELF64 loader: PT_LOAD segments at p_paddr, checked against guest RAM. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/loader.h"

static int fail(char *err, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return rc;
}

int load_elf(struct vm *vm, const char *path, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh;
	struct stat st;
	uint8_t *file;
	int fd, rc = 0;
	unsigned i;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, -errno, "cannot open kernel '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		close(fd);
		return fail(err, errlen, -EINVAL, "'%s' is too small to be an ELF file", path);
	}
	file = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (file == MAP_FAILED)
		return fail(err, errlen, -errno, "cannot map '%s': %s", path, strerror(errno));
	eh = (const Elf64_Ehdr *)file;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) {
		rc = fail(err, errlen, -EINVAL, "'%s' is not an ELF file", path);
		goto out;
	}
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_RISCV) {
		rc = fail(err, errlen, -EINVAL, "'%s' is not a 64-bit little-endian RISC-V ELF",
			  path);
		goto out;
	}
	if (eh->e_type != ET_EXEC || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > (uint64_t)st.st_size ||
	    eh->e_phnum > ((uint64_t)st.st_size - eh->e_phoff) / sizeof(Elf64_Phdr)) {
		rc = fail(err, errlen, -EINVAL, "'%s': not an executable or bad program headers",
			  path);
		goto out;
	}
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(file + eh->e_phoff) + i;
		uint8_t *dst;

		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		if (ph->p_filesz > ph->p_memsz || ph->p_offset > (uint64_t)st.st_size ||
		    ph->p_filesz > (uint64_t)st.st_size - ph->p_offset) {
			rc = fail(err, errlen, -EINVAL, "'%s': segment %u lies outside the file",
				  path, i);
			goto out;
		}
		dst = vm_ram_ptr(vm, gpa(ph->p_paddr), ph->p_memsz);
		if (!dst) {
			rc = fail(err, errlen, -ERANGE,
				  "'%s': segment %u at %#llx-%#llx is outside guest RAM %#llx-%#llx",
				  path, i, (unsigned long long)ph->p_paddr,
				  (unsigned long long)(ph->p_paddr + ph->p_memsz),
				  (unsigned long long)VM_RAM_BASE,
				  (unsigned long long)(VM_RAM_BASE + vm->ram_size));
			goto out;
		}
		memcpy(dst, file + ph->p_offset, ph->p_filesz);
		memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	}
	if (!vm_ram_ptr(vm, gpa(eh->e_entry), 2)) {
		rc = fail(err, errlen, -ERANGE, "'%s': entry point %#llx is outside guest RAM", path,
			  (unsigned long long)eh->e_entry);
		goto out;
	}
	vm->entry = gpa(eh->e_entry);
out:
	munmap(file, (size_t)st.st_size);
	return rc;
}
