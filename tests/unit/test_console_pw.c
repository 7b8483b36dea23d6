/*
 * test_console_pw.c - the console's password hashes (core/console_pw.c):
 * a hash made elsewhere (Python's hashlib.scrypt) checks, a wrong password
 * does not, every malformed hash is refused with its reason, a made hash
 * round-trips; and the worker (core/console_pw_worker.c): answers on the
 * loop in order, an unknown user's check is a no, a full queue says so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "console_pw.h"

/* hashlib.scrypt(b"ana-pass", salt=b"0123456789abcdef", n=1024, r=8, p=1, dklen=32) */
#define ANA_HASH "scrypt:1024:8:1:30313233343536373839616263646566:" \
	"d05a23bcf664d78f0670270530b3cad28a856f8c7edaa94027f07133bfa1539a"

static void
verify_against_another_implementation(void **state)
{
	(void)state;
	assert_int_equal(sb_console_pw_verify(ANA_HASH, "ana-pass"), 1);
	assert_int_equal(sb_console_pw_verify(ANA_HASH, "ana-pass "), 0);
	assert_int_equal(sb_console_pw_verify(ANA_HASH, ""), 0);
}

static void
malformed_hashes_are_refused_with_a_reason(void **state)
{
	static const struct {
		const char *hash, *why;
	} bad[] = {
		{ "", "expected \"scrypt:N:r:p:SALT:KEY\"" },
		{ "sha256:abcd", "expected \"scrypt:N:r:p:SALT:KEY\"" },
		{ "scrypt:1000:8:1:30313233343536373839616263646566:00", "power of two" },
		{ "scrypt:512:8:1:30313233343536373839616263646566:00", "power of two" },
		{ "scrypt:2097152:8:1:30313233343536373839616263646566:00", "power of two" },
		{ "scrypt:1024:0:1:30313233343536373839616263646566:00", "r must be" },
		{ "scrypt:1024:8:17:30313233343536373839616263646566:00", "r must be" },
		{ "scrypt:1024:8:1:3031:00", "the salt must be" },
		{ "scrypt:1024:8:1:3031323334353637383961626364656G:00", "the salt must be" },
		{ "scrypt:1024:8:1:30313233343536373839616263646566", "the salt must be" },
		{ "scrypt:1024:8:1:30313233343536373839616263646566:abcd", "the key must be" },
		{ "scrypt:1024:8:1:30313233343536373839616263646566:"
		  "D05A23BCF664D78F0670270530B3CAD28A856F8C7EDAA94027F07133BFA1539A", "the key must be" },
		{ "scrypt:-1024:8:1:30313233343536373839616263646566:00", "power of two" },
	};
	const char *why;

	(void)state;
	assert_int_equal(sb_console_pw_check_format(ANA_HASH, &why), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(sb_console_pw_check_format(bad[i].hash, &why), -1);
		assert_non_null(strstr(why, bad[i].why));
		assert_int_equal(sb_console_pw_verify(bad[i].hash, "x"), 0);
	}
}

static void
a_made_hash_round_trips(void **state)
{
	char h1[SB_CONSOLE_PW_HASH_MAX], h2[SB_CONSOLE_PW_HASH_MAX], tiny[20];
	const char *why;

	(void)state;
	assert_int_equal(sb_console_pw_make("s3cret", 1024, h1, sizeof(h1)), 0);
	assert_int_equal(sb_console_pw_make("s3cret", 1024, h2, sizeof(h2)), 0);
	assert_int_equal(sb_console_pw_check_format(h1, &why), 0);
	assert_int_equal(strncmp(h1, "scrypt:1024:8:1:", 16), 0);
	assert_string_not_equal(h1, h2); /* a salt of its own each time */
	assert_int_equal(sb_console_pw_verify(h1, "s3cret"), 1);
	assert_int_equal(sb_console_pw_verify(h2, "s3cret"), 1);
	assert_int_equal(sb_console_pw_verify(h1, "s3cre"), 0);
	assert_int_equal(sb_console_pw_make("s3cret", 1024, tiny, sizeof(tiny)), -1);
}

struct verdicts {
	int got[16];
	int n;
	struct event_base *base;
};

static void
record(void *arg, int ok)
{
	struct verdicts *v = arg;

	v->got[v->n++] = ok;
	if (v->n == 3)
		event_base_loopbreak(v->base);
}

static void
the_worker_answers_on_the_loop_in_order(void **state)
{
	struct event_base *base = event_base_new();
	struct sb_console_pw *w = sb_console_pw_new(base);
	struct verdicts v = { .base = base };
	struct timeval limit = { 30, 0 };

	(void)state;
	assert_int_equal(sb_console_pw_check(w, ANA_HASH, "ana-pass", record, &v), 0);
	assert_int_equal(sb_console_pw_check(w, ANA_HASH, "wrong", record, &v), 0);
	/* No such user: the same kind of work, and no. */
	assert_int_equal(sb_console_pw_check(w, NULL, "ana-pass", record, &v), 0);
	assert_int_equal(v.n, 0); /* nothing is answered before the loop runs */
	event_base_loopexit(base, &limit);
	event_base_dispatch(base);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.got[0], 1);
	assert_int_equal(v.got[1], 0);
	assert_int_equal(v.got[2], 0);
	sb_console_pw_free(w);
	event_base_free(base);
}

static void
a_full_queue_says_so_and_free_answers_the_rest(void **state)
{
	struct event_base *base = event_base_new();
	struct sb_console_pw *w = sb_console_pw_new(base);
	struct verdicts v = { .base = base };
	int queued = 0;

	(void)state;
	/* The loop never runs, so finished checks stay in the queue too. */
	for (int i = 0; i < 12; i++)
		if (sb_console_pw_check(w, ANA_HASH, "ana-pass", record, &v) == 0)
			queued++;
	assert_int_equal(queued, 8);
	sb_console_pw_free(w); /* every check not reported is answered: no */
	assert_int_equal(v.n, 8);
	for (int i = 0; i < v.n; i++)
		assert_true(v.got[i] == 0 || v.got[i] == 1);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(verify_against_another_implementation),
		cmocka_unit_test(malformed_hashes_are_refused_with_a_reason),
		cmocka_unit_test(a_made_hash_round_trips),
		cmocka_unit_test(the_worker_answers_on_the_loop_in_order),
		cmocka_unit_test(a_full_queue_says_so_and_free_answers_the_rest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
