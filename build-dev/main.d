build-dev/main.o: main.c emu/uml.h commands.h
emu/uml.h:
commands.h:
