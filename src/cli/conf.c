/* The configuration file for a command: found, read and checked once. */
#include "cli.h"
#include "config.h"

#include <stdio.h>

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

const char *cs_cli_config_path(void)
{
    return config_option ? config_option : cs_config_default_path();
}

const struct cs_config *cs_cli_config(const char *cmd)
{
    char err[CS_ERRLEN];

    if (loaded)
        return &config;
    if (cs_config_load(config_option, &config, err, sizeof(err)) != CS_OK) {
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
