build-dev/models/jpeg.o: models/jpeg.c models/jpeg.h
models/jpeg.h:
