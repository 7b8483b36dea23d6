/*
 * fuzz_config.c - the configuration loader: YAML to the node tree
 * (core/cfgnode.c) and the whole schema (core/config.c, config_hours.c),
 * as `switchboardd -t` and a reload run it. The input is the file's text.
 * A refusal must say where and why ("fuzz.yaml:LINE:COL: ..."); a success
 * must hold what the schema promises (every chain step names an instance).
 * The first line is also read as a duration ("30s", "15m", "2h").
 */
#include <stdio.h>

#include "config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_config *cfg;
	char *err = NULL, line[64];
	int64_t ms = 0;
	size_t n;

	cfg = sb_config_parse("fuzz.yaml", (const char *)data, size, &err);
	if (cfg == NULL) {
		FZ_ASSERT(err != NULL && strncmp(err, "fuzz.yaml", 9) == 0);
		free(err);
	} else {
		FZ_ASSERT(err == NULL);
		for (size_t i = 0; i < cfg->nchains; i++) {
			FZ_ASSERT(cfg->chains[i].nsteps > 0);
			for (size_t j = 0; j < cfg->chains[i].nsteps; j++)
				FZ_ASSERT(cfg->chains[i].steps[j].instance < cfg->ninstances);
		}
		for (size_t i = 0; i < cfg->nsubaccounts; i++)
			FZ_ASSERT(cfg->subaccounts[i].nchains > 0 &&
			    cfg->subaccounts[i].default_chain != NULL);
		for (size_t i = 0; i < cfg->ninstances; i++)
			FZ_ASSERT(sb_config_instance(cfg, cfg->instances[i].name) != NULL);
		sb_config_free(cfg);
	}
	n = 0;
	while (n < size && n < sizeof(line) - 1 && data[n] != '\n')
		n++;
	memcpy(line, data, n);
	line[n] = '\0';
	if (sb_parse_duration_ms(line, &ms) == 0)
		FZ_ASSERT(ms >= 0);
	return 0;
}
