build-dev/tests/test_testbed.o: tests/test_testbed.c emu/kernel.h \
 emu/uml.h emu/testbed.h emu/link.h netem/impair.h emu/sampler.h \
 netem/capture.h netem/failure.h netem/probe.h tests/t.h
emu/kernel.h:
emu/uml.h:
emu/testbed.h:
emu/link.h:
netem/impair.h:
emu/sampler.h:
netem/capture.h:
netem/failure.h:
netem/probe.h:
tests/t.h:
