build-dev/scenarios/run_cmd.o: scenarios/run_cmd.c commands.h \
 emu/kernel.h emu/uml.h plots/report.h plots/results.h plots/stats.h \
 scenarios/scenario.h models/jpeg.h netem/failure.h netem/impair.h \
 scenarios/sweep.h scenarios/trial.h
commands.h:
emu/kernel.h:
emu/uml.h:
plots/report.h:
plots/results.h:
plots/stats.h:
scenarios/scenario.h:
models/jpeg.h:
netem/failure.h:
netem/impair.h:
scenarios/sweep.h:
scenarios/trial.h:
