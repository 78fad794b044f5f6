build-dev/netem/failure.o: netem/failure.c emu/testbed.h emu/link.h \
 netem/impair.h netem/failure.h
emu/testbed.h:
emu/link.h:
netem/impair.h:
netem/failure.h:
