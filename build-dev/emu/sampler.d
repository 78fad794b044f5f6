build-dev/emu/sampler.o: emu/sampler.c emu/link.h emu/sampler.h \
 emu/testbed.h netem/impair.h
emu/link.h:
emu/sampler.h:
emu/testbed.h:
netem/impair.h:
