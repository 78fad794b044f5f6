build-dev/scenarios/scenario.o: scenarios/scenario.c scenarios/scenario.h \
 models/jpeg.h netem/failure.h netem/impair.h scenarios/schema.h \
 scenarios/sweep.h
scenarios/scenario.h:
models/jpeg.h:
netem/failure.h:
netem/impair.h:
scenarios/schema.h:
scenarios/sweep.h:
