/*
 * abi_bad.c - plugins the loader must refuse, one per build flag:
 * ABI_BAD_MAJOR, ABI_BAD_MINOR (newer than the host), ABI_BAD_SIZE (a
 * struct too small), ABI_NO_SYMBOL (no sb_plugin at all), ABI_UNDEFINED
 * (a correct head, but `send` calls a function nothing defines: bound
 * lazily, it would load and then kill the daemon at the first send),
 * ABI_BAD_CAPS (ABI 1.1 capabilities whose struct_size is 0: not made
 * with SB_CAPABILITIES).
 */
#include <switchboard/plugin.h>

#ifndef ABI_NO_SYMBOL
static int
bad_init(const struct sb_host *host, struct sb_instance *inst, void **state)
{
	*state = 0;
	return 0;
}

static void
bad_fini(void *state)
{
}

#ifdef ABI_UNDEFINED
extern int sb_test_no_such_symbol(void);
#endif

static int
bad_send(void *state, const struct sb_send_request *req)
{
#ifdef ABI_UNDEFINED
	return sb_test_no_such_symbol();
#else
	return -1;
#endif
}

#if defined(ABI_BAD_MAJOR)
#define MODULE abi_major
#define HEAD .abi_major = SB_ABI_MAJOR + 1, .abi_minor = 0, .struct_size = sizeof(struct sb_plugin)
#elif defined(ABI_BAD_MINOR)
#define MODULE abi_minor
#define HEAD .abi_major = SB_ABI_MAJOR, .abi_minor = SB_ABI_MINOR + 1, .struct_size = sizeof(struct sb_plugin)
#elif defined(ABI_UNDEFINED)
#define MODULE abi_undef
#define HEAD .abi_major = SB_ABI_MAJOR, .abi_minor = SB_ABI_MINOR, .struct_size = sizeof(struct sb_plugin)
#elif defined(ABI_BAD_CAPS)
#define MODULE abi_caps0
#define HEAD .abi_major = SB_ABI_MAJOR, .abi_minor = SB_ABI_MINOR, .struct_size = sizeof(struct sb_plugin), \
	.capabilities = &(const struct sb_capabilities){ .receipts = SB_RECEIPT_POLL }
#elif defined(ABI_BAD_SIZE)
#define MODULE abi_size
#define HEAD .abi_major = SB_ABI_MAJOR, .abi_minor = SB_ABI_MINOR, .struct_size = 16
#else
#define MODULE abi_good
#define HEAD .abi_major = SB_ABI_MAJOR, .abi_minor = SB_ABI_MINOR, .struct_size = sizeof(struct sb_plugin)
#endif

#define DEFINE_FOR(m) SB_PLUGIN_DEFINE(m)
DEFINE_FOR(MODULE) = {
	HEAD,
	.name = "abi_test",
	.version = "0",
	.kind = SB_PLUGIN_CHANNEL,
	.init = bad_init,
	.fini = bad_fini,
	.send = bad_send,
};
#else
/* Exports something, just not what the loader looks for. */
int abi_nosym_present = 1;
#endif
