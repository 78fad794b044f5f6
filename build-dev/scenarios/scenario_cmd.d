build-dev/scenarios/scenario_cmd.o: scenarios/scenario_cmd.c commands.h \
 scenarios/scenario.h models/jpeg.h netem/failure.h netem/impair.h \
 scenarios/sweep.h
commands.h:
scenarios/scenario.h:
models/jpeg.h:
netem/failure.h:
netem/impair.h:
scenarios/sweep.h:
