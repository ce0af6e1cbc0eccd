/* Where the inventory is, and opening it for a command. */
#include "cli.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>

static const char *db_option;
static char default_location[4096];

void cs_cli_set_db(const char *location)
{
    db_option = location;
}

const char *cs_cli_db(void)
{
    const char *env = getenv("CERTSWEEP_DB");
    const char *data = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");

    if (db_option != NULL)
        return db_option;
    if (env != NULL && *env != '\0')
        return env;
    if (data != NULL && *data != '\0')
        snprintf(default_location, sizeof(default_location), "%s/certsweep/inventory.db", data);
    else
        snprintf(default_location, sizeof(default_location),
                 "%s/.local/share/certsweep/inventory.db", home ? home : ".");
    return default_location;
}

struct cs_store *cs_cli_open_store(const char *cmd)
{
    struct cs_store *store = NULL;
    char err[CS_ERRLEN];
    if (cs_store_open(cs_cli_db(), &store, err, sizeof(err)) != CS_OK) {
        fprintf(stderr, "certsweep %s: %s\n", cmd, err);
        return NULL;
    }
    return store;
}

int cs_cli_exit_for(enum cs_rc rc)
{
    return rc == CS_ERR_USAGE || rc == CS_ERR_NOT_FOUND ? CS_EXIT_USAGE : CS_EXIT_RUNTIME;
}
