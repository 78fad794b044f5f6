build-dev/pipeline/server_cmd.o: pipeline/server_cmd.c cli.h commands.h \
 pipeline/api.h pipeline/server.h pipeline/dispatch.h pipeline/proto.h \
 pipeline/sock.h
cli.h:
commands.h:
pipeline/api.h:
pipeline/server.h:
pipeline/dispatch.h:
pipeline/proto.h:
pipeline/sock.h:
