build-dev/emu/commands.o: emu/commands.c cli.h commands.h emu/kernel.h \
 emu/uml.h emu/sampler.h emu/testbed.h emu/link.h netem/impair.h \
 netem/capture.h netem/probe.h
cli.h:
commands.h:
emu/kernel.h:
emu/uml.h:
emu/sampler.h:
emu/testbed.h:
emu/link.h:
netem/impair.h:
netem/capture.h:
netem/probe.h:
