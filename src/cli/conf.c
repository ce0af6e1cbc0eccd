/* The configuration file for a command: found, read and checked once. */
#include "cli.h"
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

static const char *config_option;
static bool insecure_smtp;
static struct cs_config config;
static bool loaded;

void cs_cli_set_config(const char *path)
{
    config_option = path;
}

void cs_cli_set_insecure_smtp(void)
{
    insecure_smtp = true;
}

/* The file the user named, with --config or CERTSWEEP_CONFIG: a missing
 * one is an error, unlike a missing default file. */
static const char *named_config(void)
{
    const char *env = getenv("CERTSWEEP_CONFIG");
    if (config_option != NULL)
        return config_option;
    return env != NULL && *env != '\0' ? env : NULL;
}

const char *cs_cli_config_named(void)
{
    return named_config();
}

const char *cs_cli_config_path(void)
{
    return named_config() ? named_config() : cs_config_default_path();
}

const struct cs_config *cs_cli_config(const char *cmd)
{
    char err[CS_ERRLEN];

    if (loaded)
        return &config;
    if (cs_config_load(named_config(), &config, err, sizeof(err)) != CS_OK) {
        fprintf(stderr, "certsweep %s: %s\n", cmd, err);
        cs_config_clear(&config);
        return NULL;
    }
    config.smtp.insecure = insecure_smtp;
    loaded = true;
    return &config;
}

void cs_cli_config_release(void)
{
    if (loaded)
        cs_config_clear(&config);
    loaded = false;
}
