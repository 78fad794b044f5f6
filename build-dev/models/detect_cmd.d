build-dev/models/detect_cmd.o: models/detect_cmd.c commands.h cli.h \
 models/detector.h models/jpeg.h models/locate.h models/record.h
commands.h:
cli.h:
models/detector.h:
models/jpeg.h:
models/locate.h:
models/record.h:
