build-dev/models/accuracy.o: models/accuracy.c models/accuracy.h \
 models/detector.h models/jpeg.h models/labels.h models/record.h
models/accuracy.h:
models/detector.h:
models/jpeg.h:
models/labels.h:
models/record.h:
