// SPDX-License-Identifier: MIT
/*
 * Integer workload: the kind of code a compiler, a compressor or a database
 * spends its time in. Four phases, repeated:
 *   - CRC-32 (table driven) over a 1 MiB text-like buffer: loads, shifts, xor;
 *   - LZ77 compression with a hash table, then decompression and a compare:
 *     byte loads, unpredictable branches, memcpy-like loops;
 *   - quicksort of 256 Ki 32-bit keys: compares, swaps, recursion;
 *   - open-addressing hash table inserts and lookups: multiplies, cache misses.
 */
#include <string.h>

#include "common.h"

#define TEXT_SIZE (1u << 20)
#define SORT_N    (1u << 18)
#define HASH_BITS 19
#define HASH_KEYS 300000u

static uint8_t text[TEXT_SIZE];
static uint8_t packed[TEXT_SIZE + TEXT_SIZE / 8 + 16];
static uint8_t unpacked[TEXT_SIZE];
static uint32_t crc_table[256];
static uint32_t keys[SORT_N];
static uint64_t table[1u << HASH_BITS];

/* Pseudo-English: words from a small vocabulary, so LZ77 finds matches. */
static void make_text(void)
{
	static const char *const words[] = {
		"the ",    "virtual ", "machine ", "monitor ", "traps ",   "every ",
		"page ",   "fault ",   "and ",     "returns ", "to ",      "guest ",
		"kernel ", "with ",    "a ",       "new ",     "mapping ", "while ",
		"timer ",  "fires ",   "on ",      "hart ",    "zero. ",   "\n",
	};
	uint64_t s = 1;
	uint32_t n = 0;

	while (n < TEXT_SIZE) {
		const char *w = words[mix64(&s) % (sizeof(words) / sizeof(words[0]))];

		while (*w && n < TEXT_SIZE)
			text[n++] = (uint8_t)*w++;
	}
}

static uint32_t crc32(const uint8_t *p, uint32_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

/*
 * LZ77: a literal run is <0, len-1>, a match <1, len-4> followed by a
 * 16-bit distance; lengths fit in 7 bits (literals up to 128, matches 4..131).
 */
#define LZ_HASH_BITS 14
static uint32_t lz_head[1u << LZ_HASH_BITS];

static uint32_t lz_compress(const uint8_t *in, uint32_t n, uint8_t *out)
{
	uint32_t i = 0, o = 0, lit_start = 0;

	memset(lz_head, 0xff, sizeof(lz_head));
	while (i + 4 <= n) {
		uint32_t v = (uint32_t)in[i] | (uint32_t)in[i + 1] << 8 |
		             (uint32_t)in[i + 2] << 16 | (uint32_t)in[i + 3] << 24;
		uint32_t h = (v * 2654435761u) >> (32 - LZ_HASH_BITS);
		uint32_t cand = lz_head[h], len = 0;

		lz_head[h] = i;
		if (cand != 0xffffffffu && i - cand < 65536) {
			while (len < 131 && i + len < n && in[cand + len] == in[i + len])
				len++;
		}
		if (len < 4) {
			i++;
			continue;
		}
		while (lit_start < i) {
			uint32_t run = i - lit_start > 128 ? 128 : i - lit_start;

			out[o++] = (uint8_t)(run - 1);
			memcpy(out + o, in + lit_start, run);
			o += run;
			lit_start += run;
		}
		out[o++] = (uint8_t)(0x80 | (len - 4));
		out[o++] = (uint8_t)((i - cand) & 0xff);
		out[o++] = (uint8_t)((i - cand) >> 8);
		i += len;
		lit_start = i;
	}
	while (lit_start < n) {
		uint32_t run = n - lit_start > 128 ? 128 : n - lit_start;

		out[o++] = (uint8_t)(run - 1);
		memcpy(out + o, in + lit_start, run);
		o += run;
		lit_start += run;
	}
	return o;
}

static uint32_t lz_decompress(const uint8_t *in, uint32_t n, uint8_t *out)
{
	uint32_t i = 0, o = 0;

	while (i < n) {
		uint8_t tag = in[i++];

		if (tag & 0x80) {
			uint32_t len = (tag & 0x7fu) + 4;
			uint32_t dist = (uint32_t)in[i] | (uint32_t)in[i + 1] << 8;

			i += 2;
			while (len--) { /* byte by byte: source and destination may overlap */
				out[o] = out[o - dist];
				o++;
			}
		} else {
			uint32_t run = tag + 1u;

			memcpy(out + o, in + i, run);
			i += run;
			o += run;
		}
	}
	return o;
}

static void sort_keys(uint32_t *a, long lo, long hi)
{
	while (hi - lo > 16) {
		long mid = lo + (hi - lo) / 2, i = lo, j = hi;
		uint32_t x = a[lo], y = a[mid], z = a[hi], pivot, t;

		pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				t = a[i];
				a[i++] = a[j];
				a[j--] = t;
			}
		}
		/* recurse into the smaller half, loop on the larger */
		if (j - lo < hi - i) {
			sort_keys(a, lo, j);
			lo = i;
		} else {
			sort_keys(a, i, hi);
			hi = j;
		}
	}
	for (long i = lo + 1; i <= hi; i++) {
		uint32_t v = a[i];
		long j = i - 1;

		while (j >= lo && a[j] > v) {
			a[j + 1] = a[j];
			j--;
		}
		a[j + 1] = v;
	}
}

static uint64_t hash_phase(uint64_t seed)
{
	const uint64_t mask = (1u << HASH_BITS) - 1;
	uint64_t s = seed, found = 0;

	memset(table, 0, sizeof(table));
	for (uint32_t i = 0; i < HASH_KEYS; i++) {
		uint64_t k = mix64(&s) | 1, h = (k * 0x9e3779b97f4a7c15ull) >> (64 - HASH_BITS);

		while (table[h] != 0 && table[h] != k)
			h = (h + 1) & mask;
		table[h] = k;
	}
	s = seed;
	for (uint32_t i = 0; i < 2 * HASH_KEYS; i++) {
		/* every other lookup is a key that was inserted */
		uint64_t k = (i & 1) ? (mix64(&s) | 1) : ((uint64_t)i * 0x2545f4914f6cdd1dull | 1);
		uint64_t h = (k * 0x9e3779b97f4a7c15ull) >> (64 - HASH_BITS);

		while (table[h] != 0 && table[h] != k)
			h = (h + 1) & mask;
		found += table[h] == k ? h : 1;
	}
	return found;
}

int main(int argc, char **argv)
{
	unsigned scale = scale_arg(argc, argv);
	uint64_t sum = 0, t0;

	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int b = 0; b < 8; b++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
		crc_table[i] = c;
	}
	make_text();

	t0 = now_ns();
	for (unsigned r = 0; r < 8 * scale; r++) {
		uint32_t plen, ulen;
		uint64_t s = r + 1;

		text[(r * 7919u) % TEXT_SIZE] ^= (uint8_t)r; /* a different input each round */
		sum = sum * 31 + crc32(text, TEXT_SIZE);

		plen = lz_compress(text, TEXT_SIZE, packed);
		ulen = lz_decompress(packed, plen, unpacked);
		sum = sum * 31 + plen;
		sum = sum * 31 + (ulen == TEXT_SIZE && memcmp(text, unpacked, TEXT_SIZE) == 0);

		for (uint32_t i = 0; i < SORT_N; i++)
			keys[i] = (uint32_t)mix64(&s);
		sort_keys(keys, 0, SORT_N - 1);
		for (uint32_t i = 0; i < SORT_N; i += 1024)
			sum = sum * 31 + keys[i];
		for (uint32_t i = 1; i < SORT_N; i++)
			sum += keys[i - 1] > keys[i]; /* stays 0 unless the sort is wrong */

		sum = sum * 31 + hash_phase(r + 12345);
	}
	report("intmix", now_ns() - t0, sum);
	return 0;
}
