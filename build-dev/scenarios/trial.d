build-dev/scenarios/trial.o: scenarios/trial.c emu/sampler.h \
 emu/testbed.h emu/link.h netem/impair.h models/accuracy.h \
 models/detector.h models/jpeg.h models/labels.h models/record.h \
 netem/failure.h plots/stats.h scenarios/scenario.h scenarios/sweep.h \
 scenarios/trial.h plots/results.h
emu/sampler.h:
emu/testbed.h:
emu/link.h:
netem/impair.h:
models/accuracy.h:
models/detector.h:
models/jpeg.h:
models/labels.h:
models/record.h:
netem/failure.h:
plots/stats.h:
scenarios/scenario.h:
scenarios/sweep.h:
scenarios/trial.h:
plots/results.h:
