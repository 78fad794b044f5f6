build-dev/pipeline/sock.o: pipeline/sock.c pipeline/sock.h
pipeline/sock.h:
