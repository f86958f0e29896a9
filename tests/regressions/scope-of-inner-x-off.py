def f(a, b):
    x = 0
    def inner():
        if client.is_enabled("k"):
            x = client.is_enabled("k")
        return x
    x = inner()
    return ('end', x)
