build-dev/models/accuracy_cmd.o: models/accuracy_cmd.c commands.h \
 models/accuracy.h models/detector.h models/jpeg.h models/labels.h \
 models/record.h models/locate.h
commands.h:
models/accuracy.h:
models/detector.h:
models/jpeg.h:
models/labels.h:
models/record.h:
models/locate.h:
