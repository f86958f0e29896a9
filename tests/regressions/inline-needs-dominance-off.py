def f(a, b):
    x = 0
    def inner():
        for i in range(2):
            if a:
                continue
            x = client.is_enabled("k")
        return x
    x = inner()
    return ('end', x)
