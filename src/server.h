/*
 * server.h - process lifetime: configuration, listeners, event loop,
 * cron, before-sleep (persistence, then replies), shutdown.  Only main.c
 * includes this header.
 */
#ifndef WEIR_SERVER_H
#define WEIR_SERVER_H

/* Parse argv, start, run until shutdown; returns the exit status. */
int server_main(int argc, char **argv);

#endif
