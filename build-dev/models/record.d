build-dev/models/record.o: models/record.c models/record.h \
 models/detector.h models/jpeg.h
models/record.h:
models/detector.h:
models/jpeg.h:
