build-dev/emu/uml.o: emu/uml.c emu/uml.h
emu/uml.h:
