#include "cli.h"
int cs_cmd_test_email(int argc, char **argv) { (void)argc; (void)argv; return CS_EXIT_USAGE; }
int cs_cmd_test_syslog(int argc, char **argv) { (void)argc; (void)argv; return CS_EXIT_USAGE; }
