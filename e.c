int main(){char b[64]; return 0;}
