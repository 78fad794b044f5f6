build-dev/pipeline/dispatch.o: pipeline/dispatch.c pipeline/dispatch.h
pipeline/dispatch.h:
