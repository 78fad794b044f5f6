/* SPDX-License-Identifier: MIT */
/* Entry points of the subcommands; each returns the process exit status. */
#ifndef QOSLAB_COMMANDS_H
#define QOSLAB_COMMANDS_H

int accuracy_main(int argc, char **argv);
int client_main(int argc, char **argv);
int detect_main(int argc, char **argv);
int server_main(int argc, char **argv);
int worker_main(int argc, char **argv);

#endif
