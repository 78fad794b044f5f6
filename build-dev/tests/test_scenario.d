build-dev/tests/test_scenario.o: tests/test_scenario.c \
 scenarios/scenario.h models/jpeg.h netem/failure.h netem/impair.h \
 scenarios/sweep.h tests/t.h
scenarios/scenario.h:
models/jpeg.h:
netem/failure.h:
netem/impair.h:
scenarios/sweep.h:
tests/t.h:
