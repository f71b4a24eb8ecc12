/* floor.S - the smallest PVH kernel: one line on COM1, then isa-debug-exit.
 * `make bench` boots it to measure what QEMU itself costs before any
 * guest instruction runs (the floor under boot_to_banner). */
        .section .note.Xen, "a"
        .balign 4
        .long 4, 4, 18
        .asciz "Xen"
        .long start
        .text
        .code32
        .globl start
start:  mov $0x3f8, %dx
        mov $'X', %al
        out %al, %dx
        mov $'\n', %al
        out %al, %dx
        mov $0xf4, %dx
        xor %eax, %eax
        out %eax, %dx
1:      hlt
        jmp 1b
