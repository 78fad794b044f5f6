build-dev/pipeline/proto.o: pipeline/proto.c pipeline/proto.h
pipeline/proto.h:
