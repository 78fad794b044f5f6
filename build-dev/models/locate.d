build-dev/models/locate.o: models/locate.c models/locate.h
models/locate.h:
