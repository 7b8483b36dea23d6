/*
 * fuzz.h - small helpers shared by the libFuzzer harnesses of tests/fuzz.
 *
 * Every harness defines LLVMFuzzerTestOneInput (and maybe
 * LLVMFuzzerInitialize); libFuzzer (-fsanitize=fuzzer) supplies main().
 * A harness must be deterministic, keep no state that grows without bound
 * between inputs, free what it allocates (leaks are reported), and abort()
 * when a property it checks does not hold.
 */
#ifndef SB_FUZZ_H
#define SB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A NUL-terminated malloc'd copy of the input (it may hold NULs itself). */
static inline char *
fz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Check a property; abort (a crash libFuzzer saves) when it does not hold. */
#define FZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

#endif
