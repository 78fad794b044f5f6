build-dev/tests/test_pipeline.o: tests/test_pipeline.c models/accuracy.h \
 models/detector.h models/jpeg.h models/labels.h models/record.h \
 models/locate.h tests/t.h
models/accuracy.h:
models/detector.h:
models/jpeg.h:
models/labels.h:
models/record.h:
models/locate.h:
tests/t.h:
