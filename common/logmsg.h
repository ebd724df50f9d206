/*
 * logmsg: one line on standard error, "TIME PROGRAM: message", the log of
 * the audit daemons (journald, or the file their stderr goes to, keeps it).
 * TIME is UTC to the second; PROGRAM is the name the process was run by.
 */
#ifndef SECAUDIT_LOGMSG_H
#define SECAUDIT_LOGMSG_H

void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
