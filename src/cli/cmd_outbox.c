#include "cli.h"
int cs_cmd_outbox(int argc, char **argv) { (void)argc; (void)argv; return CS_EXIT_USAGE; }
