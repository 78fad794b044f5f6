build-dev/scenarios/sweep.o: scenarios/sweep.c scenarios/sweep.h \
 scenarios/scenario.h models/jpeg.h netem/failure.h netem/impair.h
scenarios/sweep.h:
scenarios/scenario.h:
models/jpeg.h:
netem/failure.h:
netem/impair.h:
