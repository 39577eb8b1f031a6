"""Passwords too common to allow, compared case-insensitively.

The policy already refuses anything shorter than 12 characters, so only longer entries matter here: the
long passwords that lead breach corpora (keyboard walks, repeated digits, "password" and friends with a
number, phrases people pick to reach a length rule).
"""

from __future__ import annotations

COMMON_PASSWORDS = frozenset(
    """
    123456789012 1234567890123 12345678901234 123456789123 1234567891011 098765432121 012345678910
    111111111111 000000000000 121212121212 123123123123 112233445566 987654321098 999999999999
    aaaaaaaaaaaa abcdefghijkl abcdefghijklm abcd1234abcd abc123abc123 abc123456789 a1b2c3d4e5f6
    qwertyuiopas qwertyuiop12 qwertyuiop123 qwertyuiopasdf qwerty123456 qwerty1234567 qwertyqwerty
    1q2w3e4r5t6y 1q2w3e4r5t6y7u 1qaz2wsx3edc 1qaz2wsx3edc4rfv zaq12wsxcde3 zaq1zaq1zaq1 q1w2e3r4t5y6
    asdfghjkl123 asdfghjkl;'1 asdfasdfasdf 1234qwerasdf qwerasdfzxcv zxcvbnm12345 zxcvbnmasdfg
    password1234 password12345 password123456 passw0rd1234 p@ssw0rd1234 p@ssword1234 password!234
    passwordpassword mypassword123 mypassword1234 thisismypassword newpassword123 changeme1234
    changemenow1 letmein12345 letmeinplease welcome12345 welcome123456 welcometothejungle
    iloveyou1234 iloveyou12345 iloveyouforever iloveyoubaby football1234 baseball1234 basketball12
    basketball123 soccer123456 hockey123456 monkey123456 dragon123456 master123456 shadow123456
    sunshine1234 princess1234 superman1234 batman123456 starwars1234 pokemon12345 michael12345
    jennifer1234 jordan231234 trustno11234 administrator administrator1 admin1234567 admin12345678
    adminadminadmin rootroot1234 letmein123456 computer1234 internet1234 whatever1234 freedom12345
    qazwsxedcrfv qazwsxedc123 1234567890qwerty qwerty12345678 password1! password123! password2024
    password2025 password2026 summer2024!! winter2024!! spring2025!! autumn2025!! 11111111111111
    correcthorsebatterystaple thequickbrownfox liverpool1234 chelsea12345 arsenal12345 manchesterunited
    """.split()  # noqa: SIM905 - a word list reads best as the list
)
