/* A payment service for Squash's gdb tests: GET /pay?amount=N answers JSON.
   One connection at a time, which is all a debugger test needs. Build: make (gcc -g -O0). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void answer(int fd, int status, const char *body) {
  char head[256];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                   status, status == 200 ? "OK" : status == 400 ? "Bad Request" : "Not Found", strlen(body));
  write(fd, head, (size_t)n);
  write(fd, body, strlen(body));
}

/* Handles one request line such as "GET /pay?amount=250 HTTP/1.1". */
static void handle_pay(int fd, const char *request) {
  const char *query = strstr(request, "/pay?amount=");
  if (strncmp(request, "GET /pay", 8) != 0) {
    answer(fd, 404, "{\"error\":\"not found\"}");
    return;
  }
  char *end = NULL;
  long amount = query ? strtol(query + strlen("/pay?amount="), &end, 10) : 0;
  if (query == NULL || end == query + strlen("/pay?amount=") || (*end != ' ' && *end != '&')) {
    answer(fd, 400, "{\"error\":\"amount must be an integer\"}");
    return;
  }
  long fee = amount / 100; /* a breakpoint here sees amount (squash:breakpoint) */
  char body[128];
  snprintf(body, sizeof body, "{\"amount\":%ld,\"fee\":%ld}", amount, fee);
  answer(fd, 200, body);
}

int main(int argc, char **argv) {
  const char *env = getenv("PORT");
  int port = atoi(argc > 1 ? argv[1] : env ? env : "0");
  int server = socket(AF_INET, SOCK_STREAM, 0);
  int on = 1;
  setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(server, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(server, 16) != 0) {
    perror("listen");
    return 1;
  }
  socklen_t len = sizeof addr;
  getsockname(server, (struct sockaddr *)&addr, &len);
  printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  for (;;) {
    int fd = accept(server, NULL, NULL);
    if (fd < 0) continue;
    char request[4096];
    ssize_t got = read(fd, request, sizeof request - 1);
    if (got > 0) {
      request[got] = '\0';
      handle_pay(fd, request);
    }
    close(fd);
  }
}
