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

#define SZ_2M (2ull << 20)

static int fail(char *err, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return rc;
}

static int read_file(const char *path, const char *what, uint8_t **data, size_t *size, char *err,
                     size_t errlen)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, -errno, "cannot open %s '%s': %s", what, path,
		            strerror(errno));
	if (fstat(fd, &st) < 0 || st.st_size == 0) {
		close(fd);
		return fail(err, errlen, -EINVAL, "%s '%s' is empty", what, path);
	}
	*data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (*data == MAP_FAILED)
		return fail(err, errlen, -errno, "cannot map %s '%s': %s", what, path,
		            strerror(errno));
	*size = (size_t)st.st_size;
	return 0;
}

int load_elf(struct vm *vm, const char *path, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh;
	uint8_t *file;
	size_t size;
	unsigned i;
	int rc;

	rc = read_file(path, "kernel", &file, &size, err, errlen);
	if (rc)
		return rc;
	eh = (const Elf64_Ehdr *)file;
	if (size < sizeof(*eh)) {
		rc = fail(err, errlen, -EINVAL, "'%s' is too small to be an ELF file", path);
		goto out;
	}
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
	    eh->e_phoff > (uint64_t)size ||
	    eh->e_phnum > ((uint64_t)size - eh->e_phoff) / sizeof(Elf64_Phdr)) {
		rc = fail(err, errlen, -EINVAL, "'%s': not an executable or bad program headers",
		          path);
		goto out;
	}
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(file + eh->e_phoff) + i;
		uint8_t *dst;

		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		if (ph->p_filesz > ph->p_memsz || ph->p_offset > (uint64_t)size ||
		    ph->p_filesz > (uint64_t)size - ph->p_offset) {
			rc = fail(err, errlen, -EINVAL, "'%s': segment %u lies outside the file",
			          path, i);
			goto out;
		}
		dst = vm_ram_ptr(vm, gpa(ph->p_paddr), ph->p_memsz);
		if (!dst) {
			rc =
			    fail(err, errlen, -ERANGE,
			         "'%s': segment %u at %#llx-%#llx is outside guest RAM %#llx-%#llx",
			         path, i, (unsigned long long)ph->p_paddr,
			         (unsigned long long)(ph->p_paddr + ph->p_memsz),
			         (unsigned long long)VM_RAM_BASE,
			         (unsigned long long)(VM_RAM_BASE + vm->ram_size));
			goto out;
		}
		memcpy(dst, file + ph->p_offset, ph->p_filesz);
		memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
		if (ph->p_paddr + ph->p_memsz > vm->kernel_end.v)
			vm->kernel_end = gpa(ph->p_paddr + ph->p_memsz);
	}
	if (!vm_ram_ptr(vm, gpa(eh->e_entry), 2)) {
		rc = fail(err, errlen, -ERANGE, "'%s': entry point %#llx is outside guest RAM",
		          path, (unsigned long long)eh->e_entry);
		goto out;
	}
	vm->entry = gpa(eh->e_entry);
out:
	munmap(file, size);
	return rc;
}

/* RISC-V Linux boot image header (Documentation/riscv/boot-image-header.rst). */
struct image_header {
	uint32_t code0, code1;
	uint64_t text_offset, image_size, flags;
	uint32_t version, res1;
	uint64_t res2, magic;
	uint32_t magic2, res3;
};

#define IMAGE_MAGIC2 0x05435352u /* "RSC\x05" */

int load_kernel(struct vm *vm, const char *path, char *err, size_t errlen)
{
	const struct image_header *h;
	uint8_t *data, *dst;
	size_t size;
	uint64_t mem;
	int rc;

	rc = read_file(path, "kernel", &data, &size, err, errlen);
	if (rc)
		return rc;
	if (size >= SELFMAG && memcmp(data, ELFMAG, SELFMAG) == 0) {
		munmap(data, size);
		return load_elf(vm, path, err, errlen);
	}
	h = (const struct image_header *)data;
	if (size < sizeof(*h) || h->magic2 != IMAGE_MAGIC2) {
		munmap(data, size);
		return fail(
		    err, errlen, -EINVAL,
		    "'%s' is neither a RISC-V ELF nor a RISC-V Linux Image (no RSC\\x05 magic)",
		    path);
	}
	mem = h->image_size ? h->image_size : size;
	if (h->text_offset & (SZ_2M - 1) || mem < size) {
		munmap(data, size);
		return fail(err, errlen, -EINVAL, "'%s': bad Image header (text_offset %#llx)",
		            path, (unsigned long long)h->text_offset);
	}
	/*
	 * The boot protocol asks for a 2 MiB aligned load address; text_offset
	 * only keeps the kernel clear of firmware resident at the bottom of RAM,
	 * and rvisor's SBI lives in the VMM, so the kernel gets RAM from its base.
	 */
	dst = vm_ram_ptr(vm, gpa(VM_RAM_BASE), mem);
	if (!dst || VM_RAM_BASE + mem > vm->fdt_addr.v) {
		munmap(data, size);
		return fail(err, errlen, -ERANGE,
		            "kernel '%s' needs %llu MiB: not enough guest memory", path,
		            (unsigned long long)(mem >> 20) + 1);
	}
	memcpy(dst, data, size);
	vm->entry = gpa(VM_RAM_BASE);
	vm->kernel_end = gpa(VM_RAM_BASE + mem);
	munmap(data, size);
	return 0;
}

int load_initrd(struct vm *vm, const char *path, char *err, size_t errlen)
{
	uint8_t *data, *dst;
	size_t size;
	uint64_t start;
	int rc;

	rc = read_file(path, "initrd", &data, &size, err, errlen);
	if (rc)
		return rc;
	start = (vm->fdt_addr.v - size) & ~4095ull;
	dst = vm_ram_ptr(vm, gpa(start), size);
	if (size > vm->fdt_addr.v - VM_RAM_BASE || !dst || start < vm->kernel_end.v) {
		munmap(data, size);
		return fail(err, errlen, -ERANGE,
		            "initrd '%s' (%zu KiB) does not fit in guest memory next to the kernel",
		            path, size >> 10);
	}
	memcpy(dst, data, size);
	vm->initrd_start = gpa(start);
	vm->initrd_end = gpa(start + size);
	munmap(data, size);
	return 0;
}
