build-dev/tests/test_accuracy.o: tests/test_accuracy.c models/accuracy.h \
 models/detector.h models/jpeg.h models/labels.h models/record.h \
 tests/t.h
models/accuracy.h:
models/detector.h:
models/jpeg.h:
models/labels.h:
models/record.h:
tests/t.h:
