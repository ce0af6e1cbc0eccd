/*
 * The email channel's helpers that the CLI and tests use. The channel
 * itself is cs_channel_email (notify.h).
 */
#ifndef CS_NOTIFY_SMTP_H
#define CS_NOTIFY_SMTP_H

#include "cs.h"

/* Writes url into buf without its userinfo ("smtp://user:pw@host:25" ->
 * "smtp://host:25"), so that it can be shown in messages; truncated to
 * buflen - 1 characters. */
void cs_smtp_url_redacted(const char *url, char *buf, size_t buflen);

#endif
