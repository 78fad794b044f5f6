build-dev/emu/kernel.o: emu/kernel.c emu/kernel.h emu/uml.h emu/link.h \
 netem/netem.h netem/impair.h
emu/kernel.h:
emu/uml.h:
emu/link.h:
netem/netem.h:
netem/impair.h:
