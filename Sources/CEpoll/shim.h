// epoll is not part of the Glibc module Swift ships.
#include <sys/epoll.h>
