build-dev/scenarios/schema.o: scenarios/schema.c emu/testbed.h emu/link.h \
 netem/impair.h models/locate.h scenarios/schema.h scenarios/scenario.h \
 models/jpeg.h netem/failure.h
emu/testbed.h:
emu/link.h:
netem/impair.h:
models/locate.h:
scenarios/schema.h:
scenarios/scenario.h:
models/jpeg.h:
netem/failure.h:
