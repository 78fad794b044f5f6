build-dev/pipeline/worker_cmd.o: pipeline/worker_cmd.c commands.h \
 models/locate.h pipeline/worker.h models/detector.h models/jpeg.h \
 pipeline/sock.h
commands.h:
models/locate.h:
pipeline/worker.h:
models/detector.h:
models/jpeg.h:
pipeline/sock.h:
