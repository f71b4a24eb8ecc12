/*
 * tl-exit - the tiny static program that fork+exec checks and benchmarks run:
 * no C library, it exits at once with the number given as its first argument
 * (so the parent can tell that this program, with these arguments, ran).
 */
int tl_main(long argc, char **argv);

__asm__(".globl _start\n"
        "_start:\n"
        "  mov (%rsp), %rdi\n"          /* argc */
        "  lea 8(%rsp), %rsi\n"         /* argv */
        "  call tl_main\n"
        "  mov %eax, %edi\n"
        "  mov $231, %eax\n"            /* exit_group */
        "  syscall\n"
        "  hlt\n");

int tl_main(long argc, char **argv)
{
    if (argc < 2)
        return 255;
    int v = 0;
    for (const char *p = argv[1]; *p; p++) {
        if (*p < '0' || *p > '9')
            return 254;
        v = v * 10 + (*p - '0');
    }
    return v & 255;
}
