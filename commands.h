/* SPDX-License-Identifier: MIT */
/* Entry points of the subcommands; each returns the process exit status. */
#ifndef QOSLAB_COMMANDS_H
#define QOSLAB_COMMANDS_H
#include <signal.h>

/* Set by SIGINT/SIGTERM/SIGHUP once qoslab_catch_signals ran; long loops poll it. */
extern volatile sig_atomic_t qoslab_stop;
void qoslab_catch_signals(void);

int check_main(int argc, char **argv);
int clean_main(int argc, char **argv);
int echo_main(int argc, char **argv);
int run_main(int argc, char **argv);
int trial_main(int argc, char **argv);
int ns3link_main(int argc, char **argv);
int testbed_main(int argc, char **argv);
int uml_main(int argc, char **argv);

int accuracy_main(int argc, char **argv);
int client_main(int argc, char **argv);
int detect_main(int argc, char **argv);
int edge_main(int argc, char **argv);
int server_main(int argc, char **argv);
int worker_main(int argc, char **argv);

int report_main(int argc, char **argv);

int scenario_main(int argc, char **argv);

int version_main(int argc, char **argv);

#endif
